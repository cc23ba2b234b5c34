from .module import Module, Linear, Conv1D
from .loss import Loss, MSELoss, CELoss, CElogSoftMax, BCELoss
from .activation import TanH, Sigmoide, ReLU, Softmax, MaxPool1D, Flatten
from .network import Sequentiel, Optim, SGD
