/** SVC, NuSVC, SVR, NuSVR, LinearSVC and LinearSVR against the real scikit-learn. */
import { describeFamily } from './generated-more.js';

describeFamily('SVMs', ['svm']);
