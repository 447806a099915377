/**
 * preValidation for routes whose body is optional (`POST .../claim` alone means "everything",
 * `POST .../rotate-secret` alone takes the default grace): no body is validated as `{}`, so the
 * schema can still be a strict object.
 */
export const emptyBodyIsObject = async (req: { body: unknown }): Promise<void> => {
  req.body ??= {};
};
