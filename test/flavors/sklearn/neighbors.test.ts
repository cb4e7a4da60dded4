/** KNeighborsClassifier and KNeighborsRegressor (kd-tree, ball-tree and brute force) against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('nearest neighbours', ['neighbors']);
