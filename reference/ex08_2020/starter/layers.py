import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass for batch normalization.

    During training the sample mean and (uncorrected) sample variance are
    computed from minibatch statistics and used to normalize the incoming data.
    During training we also keep an exponentially decaying running mean of the
    mean and variance of each feature, and these averages are used to normalize
    data at test-time.

    At each timestep we update the running averages for mean and variance using
    an exponential decay based on the momentum parameter:

    running_mean = momentum * running_mean + (1 - momentum) * sample_mean
    running_var = momentum * running_var + (1 - momentum) * sample_var

    Input:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift paremeter of shape (D,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability
      - momentum: Constant for running mean / variance.
      - running_mean: Array of shape (D,) giving running mean of features
      - running_var Array of shape (D,) giving running variance of features

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: A tuple of values needed in the backward pass
    """
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)

    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == 'train':
        ########################################################################
        # TODO: Implement the training-time forward pass for batch norm.      #
        # Use minibatch statistics to compute the mean and variance, use      #
        # these statistics to normalize the incoming data, and scale and      #
        # shift the normalized data using gamma and beta. Store the output    #
        # in out and everything the backward pass needs in cache. Update the  #
        # running mean and variance with the momentum rule above.             #
        ########################################################################

        pass

        ########################################################################
        #                           END OF YOUR CODE                           #
        ########################################################################

    elif mode == 'test':
        ########################################################################
        # TODO: Implement the test-time forward pass for batch norm. Use the  #
        # running mean and variance to normalize the incoming data, then      #
        # scale and shift the normalized data using gamma and beta.           #
        ########################################################################

        pass

        ########################################################################
        #                           END OF YOUR CODE                           #
        ########################################################################

    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    # Store the updated running means back into bn_param
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var

    return out, cache


def batchnorm_backward(dout, cache):
    """
    Backward pass for batch normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: Variable of intermediates from batchnorm_forward.

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    ########################################################################
    # TODO: Implement the backward pass for batch normalization.           #
    ########################################################################

    pass

    ########################################################################
    #                           END OF YOUR CODE                           #
    ########################################################################
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """
    Alternative backward pass for batch normalization (optional).

    Derive the gradients on paper and simplify them as much as you can, so the
    whole backward pass fits in a few lines. Same inputs and outputs as
    batchnorm_backward.
    """
    dx, dgamma, dbeta = None, None, None
    ########################################################################
    # TODO: Implement the simplified backward pass (optional).             #
    ########################################################################

    pass

    ########################################################################
    #                           END OF YOUR CODE                           #
    ########################################################################
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """
    Performs the forward pass for (inverted) dropout.

    Inputs:
    - x: Input data, of any shape
    - dropout_param: A dictionary with the following keys:
      - p: Dropout parameter. We drop each neuron output with probability p.
      - mode: 'test' or 'train'. If the mode is train, then perform dropout;
        if the mode is test, then just return the input.
      - seed: Seed for the random number generator. Passing seed makes this
        function deterministic, which is needed for gradient checking but not
        in real networks.

    Outputs:
    - out: Array of the same shape as x.
    - cache: A tuple (dropout_param, mask). In training mode, mask is the
      dropout mask that was used to multiply the input; in test mode, mask
      is None.

    NOTE: p is the probability of DROPPING a unit. Scale the kept units by
    1 / (1 - p) in train mode ("inverted dropout"), so that test mode needs
    no scaling at all.
    """
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])

    mask = None
    out = None

    if mode == 'train':
        ####################################################################
        # TODO: Implement the training phase forward pass for inverted     #
        # dropout. Store the dropout mask in the mask variable.            #
        ####################################################################

        pass

        ####################################################################
        #                        END OF YOUR CODE                          #
        ####################################################################
    elif mode == 'test':
        ####################################################################
        # TODO: Implement the test phase forward pass for inverted dropout.#
        ####################################################################

        pass

        ####################################################################
        #                        END OF YOUR CODE                          #
        ####################################################################

    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)

    return out, cache


def dropout_backward(dout, cache):
    """
    Perform the backward pass for (inverted) dropout.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward.
    """
    dropout_param, mask = cache
    mode = dropout_param['mode']

    dx = None
    if mode == 'train':
        ####################################################################
        # TODO: Implement the training phase backward pass for inverted    #
        # dropout.                                                         #
        ####################################################################

        pass

        ####################################################################
        #                        END OF YOUR CODE                          #
        ####################################################################
    elif mode == 'test':
        dx = dout
    return dx
