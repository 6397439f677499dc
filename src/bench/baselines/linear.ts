/**
 * The plain baselines' maths (PCA, multinomial logistic regression on dense or sparse rows): the engine's, in
 * src/core/modalities/image/linear.ts, where the image modality's pixel candidate uses the same functions.
 */
export * from '../../core/modalities/image/linear';
