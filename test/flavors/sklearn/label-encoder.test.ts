/** LabelEncoder against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('LabelEncoder', ['label-encoder']);
