using BitNative.Model;
namespace BitNative.Authoring.Synthetic;

/// <summary>
/// A few paragraphs of plain English written for this project, from which synthetic models learn a small byte-level
/// BPE vocabulary (so their tokenizer has real merges without any download).
/// </summary>
internal static class SyntheticText
{
    public const string Sample = """
        The little boat sailed out of the harbour early in the morning, when the water was still and grey. The old
        fisherman sat at the back and watched the town grow small behind them. His granddaughter held the rope and
        counted the gulls that followed the boat: one, two, three, and then too many to count.

        "Where are we going today?" she asked. "Past the lighthouse," he said, "and then a little further, where the
        sea turns green and the fish are not yet awake." She laughed, because fish do not sleep, or so her teacher had
        told her. He only smiled and pulled the sail a little tighter.

        By noon the wind had changed. Clouds came up from the south, low and heavy, and the first drops of rain fell on
        the deck. The fisherman turned the boat toward home. It was not far, he said, and the storm would be slow. They
        ate bread and cheese while the waves grew larger, and the girl wrote in her notebook everything she had seen:
        the lighthouse, the green water, the seven boats that passed them, and a seal that looked at her for a long time.

        When they reached the harbour again, the whole town was waiting on the pier. Her mother ran down the steps with
        a coat, and her brother wanted to know about the fish. There were no fish, the girl said, but there was a seal,
        and the seal had been looking for someone. Everyone wanted to hear the story, so she told it again, and again,
        and every time the seal grew a little larger and the storm a little stronger.

        Numbers and dates matter too: in 1984 the harbour had 12 boats; by 2024 there were 37, and 5 of them were new.
        A kilogram of fish cost 3.50 in the morning and 4.25 in the evening. The market opened at 06:30 and closed at
        18:00, except on Sundays, when it did not open at all. People asked questions, gave answers, made plans, and
        changed them. That is how a small town lives: slowly, carefully, and with a great deal of talking.
        """;
}
