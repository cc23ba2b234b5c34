# Part 2.6 (bonus), correct: a scikit-learn pipeline, standardisation then an RBF SVM.
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def train_svm(Xtrain, ytrain):
    return make_pipeline(StandardScaler(), SVC(kernel="rbf", gamma="scale")).fit(Xtrain, ytrain)
