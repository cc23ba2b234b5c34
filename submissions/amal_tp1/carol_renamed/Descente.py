import torch
from torch.utils.tensorboard import SummaryWriter
from classes import MSE, Linear, Context

x = torch.randn(50, 13)
y = torch.randn(50, 3)
w = torch.randn(3, 13)
b = torch.randn(3)
eps = 0.05
writer = SummaryWriter()
for it in range(100):
    c_lin, c_mse = Context(), Context()
    loss = MSE.forward(c_mse, Linear.forward(c_lin, x, w, b), y)
    writer.add_scalar("Loss/train", loss.item(), it)
    dyhat, _ = MSE.backward(c_mse, torch.tensor(1.0))
    _, dw, db = Linear.backward(c_lin, dyhat)
    w = w - eps * dw
    b = b - eps * db
