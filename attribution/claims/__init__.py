"""Claims across the articles of a batch: what each sentence claims, which claims of
different articles are the same, which agree and which conflict, and how many independent
origins stand behind them."""
