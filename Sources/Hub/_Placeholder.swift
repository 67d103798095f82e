// Placeholder until the Hub client lands.
