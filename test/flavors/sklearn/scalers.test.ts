/** MinMaxScaler, RobustScaler, MaxAbsScaler and Normalizer against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('MinMaxScaler, RobustScaler, MaxAbsScaler and Normalizer', ['scalers']);
