/** ColumnTransformer (with DictVectorizer inside) against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('ColumnTransformer (with DictVectorizer inside)', ['column-transformer']);
