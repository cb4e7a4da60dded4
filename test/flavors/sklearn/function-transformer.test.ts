/** FunctionTransformer (identity) against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('FunctionTransformer (identity)', ['function-transformer']);
