using BitNative.Trainer.Corpus;

namespace BitNative.Trainer.Tests;

/// <summary>Rebuilding readable text from the tagged Brown corpus.</summary>
public sealed class BrownCorpusTests
{
    [Fact]
    public void Tags_are_stripped_and_punctuation_reattached()
    {
        const string tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' was/bedz found/vbn ,/, (/( 1-1/2/cd )/) ./.\n" +
                              "\tIt/pps didn't/dod* --/-- really/rb ./.\n\n\n\tNext/ap paragraph/nn ?/.\n";
        Assert.Equal(
            "The jury said \"no evidence\" was found, (1-1/2). It didn't -- really.\nNext paragraph?\n",
            BrownCorpus.Detokenize(tagged));
    }

    [Theory]
    [InlineData("word/nn", "word")]
    [InlineData("1-1/2/cd", "1-1/2")]
    [InlineData("Atlanta's/np$", "Atlanta's")]
    [InlineData("/", "/")]
    public void Word_is_everything_before_the_last_slash(string token, string word) => Assert.Equal(word, BrownCorpus.Word(token));
}
