// Placeholder so the test target has a source until the model tests land.
