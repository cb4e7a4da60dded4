/** QuantileTransformer (uniform, normal, repeated quantiles) and PowerTransformer (Yeo-Johnson, Box-Cox) against the real scikit-learn. */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('QuantileTransformer and PowerTransformer', ['quantile-power'], GENERATED_WILD, NO_GENERATED_WILD);
