/** Where test/fixtures-gen/sklearn-wild.sh writes its fixtures (the format of generated-more.ts). */
export const GENERATED_WILD = 'test/.generated/sklearn-wild';
export const NO_GENERATED_WILD =
  'generated sklearn-wild fixtures are absent: run test/fixtures-gen/sklearn-wild.sh (or npm run fixtures) to create them';
