// `cto key show [--name NAME] [--json]`: this machine's public signing key, as the line to add to
// a workspace's .cto/trusted-keys (e.g. the CI's key, so everyone's `cto verify` trusts its runs).
import { defaultKeyName, loadSigningKey, shortKeyId, SigningKeyError, TRUSTED_KEYS_FILE, trustedKeyLine } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";

const HELP = `usage: cto key show [--name NAME] [--json]

Prints the public half of the harness's signing key as one ${TRUSTED_KEYS_FILE} line:

  ed25519 <base64 public key> <name>

Append it to a workspace's ${TRUSTED_KEYS_FILE} to make cto verify and the stage gates
trust bundles this machine signs. The key is $CTO_SIGNING_KEY (which must exist), else
\${XDG_CONFIG_HOME:-~/.config}/cto-workbench/signing-key.pem, created on first use (mode 0600).

  --name NAME   the name on the line (default: user@host)
  --json        print {keyid, algorithm, public_key, name, line, path, created}

exit: 0, 1 the key cannot be read or created, 2 usage`;

export default async function key(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { name: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, HELP);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  const [sub, ...rest] = parsed.positionals;
  if (sub !== "show" || rest.length) throw new UsageError(`${sub === undefined ? "a subcommand is required" : `unknown subcommand '${[sub, ...rest].join(" ")}'`}\n${HELP}`);
  const name = (v.name ?? defaultKeyName()).trim();
  if (!name || /[\r\n]/.test(name)) throw new UsageError("--name must be a non-empty single line");
  let k;
  try {
    k = loadSigningKey(io.env);
  } catch (e) {
    if (!(e instanceof SigningKeyError)) throw e;
    io.err(`cto key: ${e.message}`);
    return 1;
  }
  const line = trustedKeyLine(k, name);
  if (v.json) io.out(JSON.stringify({ keyid: k.keyid, algorithm: "ed25519", public_key: k.publicKey, name, line, path: k.path, created: k.created }, null, 2));
  else {
    io.out(line);
    io.err(`${k.created ? "created" : "key"} ${k.path} (key id ${shortKeyId(k.keyid)}…)`);
  }
  return 0;
}
