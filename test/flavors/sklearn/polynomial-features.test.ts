/** PolynomialFeatures against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('PolynomialFeatures', ['polynomial-features']);
