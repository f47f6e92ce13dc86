"""Pictures, MIDI and audio written for people to look at and listen to."""
