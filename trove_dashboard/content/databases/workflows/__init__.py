"""The Launch Instance workflow: Details, Networking, Database Access, Initialize
Databases and Advanced steps over one per-request LaunchContext."""
