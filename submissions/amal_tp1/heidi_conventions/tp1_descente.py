import torch
from torch.utils.tensorboard import SummaryWriter
from tp1 import mse, linear

x = torch.randn(50, 13)
y = torch.randn(50, 3)
w = torch.randn(13, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
epsilon = 0.05
writer = SummaryWriter()
for n_iter in range(100):
    loss = mse(linear(x, w, b), y)
    writer.add_scalar('Loss/train', loss, n_iter)
    loss.backward()
    with torch.no_grad():
        w -= epsilon * w.grad
        b -= epsilon * b.grad
        w.grad.zero_()
        b.grad.zero_()
