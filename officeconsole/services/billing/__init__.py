"""From a coded visit to money received: coding, the scrubber, claims and their corrections, coordination of benefits, remittances, acknowledgements, A/R, statements, billing figures."""
