"""The Admin dashboard's Flavors and Volume Types panel."""
