using Xunit;
namespace BitNative.Tests.Tokenization;

/// <summary>Chat template texts as models ship them.</summary>
internal static class ChatTemplateFixtures
{
    /// <summary>
    /// The placeholder embedded in microsoft/bitnet-b1.58-2B-4T-gguf (ggml-model-i2_s.gguf), reconstructed from public
    /// descriptions of the file (an Orion-style template with "BITNETAssistant"); the model was not trained on it.
    /// </summary>
    public const string PublishedBitNetGgufTemplate =
        "{% for message in messages %}{% if loop.first %}{{ bos_token }}{% endif %}{% if message['role'] == 'user' %}" +
        "{{ 'Human: ' + message['content'] + '\\n\\nBITNETAssistant: ' + eos_token }}{% elif message['role'] == 'assistant' %}" +
        "{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

    /// <summary>Meta's Llama-3 Instruct template.</summary>
    public const string Llama3Template =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + " +
        "message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}" +
        "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}" +
        "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /// <summary>A ChatML template (Qwen/SmolLM style).</summary>
    public const string ChatMlTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>A template in a format this engine does not render (Gemma).</summary>
    public const string GemmaTemplate =
        "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\\n' + message['content'] | trim + " +
        "'<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";
}
