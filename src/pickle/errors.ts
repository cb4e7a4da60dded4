/** A pickle flowgate will not or cannot read. The message names what and where; nothing ran. */
export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}
