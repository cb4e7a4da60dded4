/**
 * What the third set of estimators still refuses (numpy functions that are not ufuncs, ufunc
 * keyword arguments, Python functions, unsupported members): each message names the class or
 * function and says what works instead.
 */
import { describeRefusals } from './generated-more.js';
import { GENERATED_WILD, NO_GENERATED_WILD } from './generated-wild.js';

describeRefusals('sklearn flavor refuses what it does not implement, and says what works instead', GENERATED_WILD, NO_GENERATED_WILD);
