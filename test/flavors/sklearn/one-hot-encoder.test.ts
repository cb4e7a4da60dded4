/** OneHotEncoder against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('OneHotEncoder', ['one-hot-encoder']);
