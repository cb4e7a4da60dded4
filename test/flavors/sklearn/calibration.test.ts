/** CalibratedClassifierCV (sigmoid and isotonic, over decision functions and probabilities) against the real scikit-learn. */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('CalibratedClassifierCV', ['calibration'], GENERATED_WILD, NO_GENERATED_WILD);
