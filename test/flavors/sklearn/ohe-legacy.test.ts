/**
 * OneHotEncoder pickles as scikit-learn 1.0 and 1.1 wrote them (no infrequent-category state,
 * `sparse` rather than `sparse_output`, no `_n_features_outs` or `_drop_idx_after_grouping`):
 * sklearn-wild.py builds them from a 1.2 encoder by deleting what later versions added from
 * its state before pickling (1.0's and 1.1's __getstate__ is __dict__ plus the version).
 */
import { describeFamily } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeFamily('OneHotEncoder from scikit-learn 1.0/1.1', ['ohe-legacy'], GENERATED_WILD, NO_GENERATED_WILD);
