"""Domain services: what the API asks for, in the user's words, over db and drivers."""
