"""A short scikit-learn training script, used as a traced workload."""
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(Xtr, ytr)
print(round(model.score(Xte, yte), 3))
