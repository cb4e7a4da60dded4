/** SimpleImputer (and its MissingIndicator) against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('SimpleImputer (and its MissingIndicator)', ['simple-imputer']);
