/**
 * Loss objects estimators keep in their pickled state (gradient boosting, histogram boosting,
 * SGD). They are data to flowgate: an estimator reads which loss it is from the class name,
 * never calls it. Listed once here so each family can admit them.
 */
import { qualified } from '../estimator.js';

const LOSS_NAMES = [
  'HalfSquaredError', 'AbsoluteError', 'PinballLoss', 'HuberLoss', 'HalfPoissonLoss', 'HalfGammaLoss',
  'HalfTweedieLoss', 'HalfTweedieLossIdentity', 'HalfBinomialLoss', 'HalfMultinomialLoss', 'ExponentialLoss',
];

/** sklearn._loss (1.1+): the Python losses, their Cython kernels (and Cython's unpickle helpers), and link functions. */
export const SKLEARN_LOSSES: readonly string[] = [
  ...qualified(['sklearn._loss.loss'], LOSS_NAMES),
  ...qualified(['sklearn._loss._loss'], LOSS_NAMES.flatMap((n) => [`Cy${n}`, `__pyx_unpickle_Cy${n}`])),
  ...qualified(['sklearn._loss.link'], ['Interval', 'IdentityLink', 'LogLink', 'LogitLink', 'HalfLogitLink', 'MultinomialLogit']),
];

/** sklearn.ensemble._gb_losses (up to 1.2): gradient boosting's own losses. */
export const GB_LOSSES: readonly string[] = qualified(
  ['sklearn.ensemble._gb_losses', 'sklearn.ensemble.gb_losses'],
  ['LeastSquaresError', 'LeastAbsoluteError', 'HuberLossFunction', 'QuantileLossFunction', 'BinomialDeviance', 'MultinomialDeviance', 'ExponentialLoss'],
);

/** sklearn.linear_model._sgd_fast (up to 1.2): SGD's Cython losses. */
export const SGD_LOSSES: readonly string[] = qualified(
  ['sklearn.linear_model._sgd_fast', 'sklearn.linear_model.sgd_fast'],
  ['Hinge', 'Log', 'ModifiedHuber', 'SquaredHinge', 'Perceptron', 'SquaredLoss', 'Huber', 'EpsilonInsensitive', 'SquaredEpsilonInsensitive'],
);
