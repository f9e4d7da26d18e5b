// Copies the API's .proto files (the repository's proto/) into the extension, for packaging.
const fs = require("fs");
const path = require("path");
const from = path.resolve(__dirname, "..", "..", "..", "proto", "roar", "v1");
const to = path.resolve(__dirname, "..", "proto", "roar", "v1");
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) {
  if (name.endsWith(".proto")) fs.copyFileSync(path.join(from, name), path.join(to, name));
}
