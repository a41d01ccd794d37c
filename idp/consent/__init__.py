"""What each portal may receive: the claims catalogue, consent records and the consent page."""
