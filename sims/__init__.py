"""sims package: the simulated card, its profiles, PKI and readers (vpcd, PN532).

Kept import-free so the command line can offer the clone variants without loading the card.
"""

# Copies of a card's data onto another chip (sims.personalize.CardImage.new_card): "wrong-keys" (the copy
# has its own keys), "missing-keys" (the copy cannot run Chip or Active Authentication at all).
CLONE_VARIANTS = ("wrong-keys", "missing-keys")
