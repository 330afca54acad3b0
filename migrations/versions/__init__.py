"""Revision scripts; a package only so that the wheel ships them."""
