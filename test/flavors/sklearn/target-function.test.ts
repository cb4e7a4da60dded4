/** TransformedTargetRegressor (ufuncs, scalers, quantile/power transforms) and FunctionTransformer with numpy ufuncs against the real scikit-learn. */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('TransformedTargetRegressor', ['target-transform'], GENERATED_WILD, NO_GENERATED_WILD);
describeFamily('FunctionTransformer with numpy ufuncs', ['function-ufunc'], GENERATED_WILD, NO_GENERATED_WILD);
