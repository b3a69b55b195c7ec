"""Databases panel (instances). Until instances land it shows what can be launched."""
