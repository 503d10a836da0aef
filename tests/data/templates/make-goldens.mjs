// Renders every (template, conversation, variant) of cases.json with @huggingface/jinja, the JavaScript Jinja that
// Hugging Face's transformers.js uses for chat templates, and writes goldens.json: the strings BitNative's own Jinja
// interpreter must produce. Run by build/make-template-goldens.sh (which installs the package); never by the tests.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Template } from "@huggingface/jinja";

const here = dirname(fileURLToPath(import.meta.url));
const cases = JSON.parse(readFileSync(join(here, "cases.json"), "utf8"));
const goldens = [];
for (const [templateName, t] of Object.entries(cases.templates)) {
  const template = new Template(readFileSync(join(here, t.file), "utf8"));
  for (const [conversationName, messages] of Object.entries(cases.conversations)) {
    for (const variant of cases.variants) {
      const variables = { messages, bos_token: t.bos_token, eos_token: t.eos_token, ...variant };
      goldens.push({
        template: templateName,
        conversation: conversationName,
        add_generation_prompt: variant.add_generation_prompt,
        enable_thinking: variant.enable_thinking ?? null,
        text: template.render(variables),
      });
    }
  }
}
writeFileSync(join(here, "goldens.json"), JSON.stringify({ generator: "@huggingface/jinja", goldens }, null, 1) + "\n");
console.log(`wrote ${goldens.length} goldens`);
