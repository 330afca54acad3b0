"""Development data outside the runtime path: the Belogorsk demo and the synthetic generator."""
