"""See a convolutional neural network work: MNIST models, their training and their activations."""
