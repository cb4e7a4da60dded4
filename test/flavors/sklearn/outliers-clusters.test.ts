/** IsolationForest (predict, decision_function) and KMeans/MiniBatchKMeans (predict, transform) against the real scikit-learn. */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('IsolationForest', ['iforest'], GENERATED_WILD, NO_GENERATED_WILD);
describeFamily('KMeans', ['kmeans'], GENERATED_WILD, NO_GENERATED_WILD);
