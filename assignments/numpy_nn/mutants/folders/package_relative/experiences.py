from mylib import Linear, TanH, Sequentiel
import numpy as np

net = Sequentiel(Linear(3, 2), TanH())
print(net.forward(np.ones((1, 3))))
