"""Deployments and incidents, and the figures made of them: change failure rate,
incident impact and priority, repeat incidents, MTTA and MTTR. Pure: no I/O, no clock."""
