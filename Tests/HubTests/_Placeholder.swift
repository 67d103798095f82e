// Placeholder until the Hub tests land.
