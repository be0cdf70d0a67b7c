import type { OutputMock } from ".";

/** Random values are computed by the provider; a distinct, recognisable value per resource stands in. */
export const randomOutputs: Record<string, OutputMock> = {
  "random:index/randomPassword:RandomPassword": (args) => ({ result: `mock-password-of-${args.name}`, bcryptHash: `mock-bcrypt-of-${args.name}` }),
  "random:index/randomId:RandomId": (args) => ({ hex: Buffer.from(args.name).toString("hex").slice(0, 8), b64Url: args.name }),
  "random:index/randomString:RandomString": (args) => ({ result: `mock-string-of-${args.name}` }),
};
