"""Readers of the corpora that train and measure the models: PolNeAR, the public factuality,
certainty and hedging corpora, and the team's war-news labels."""
