"""«Администрация города Белогорск»: a small municipal site that mounts the NKO section."""
