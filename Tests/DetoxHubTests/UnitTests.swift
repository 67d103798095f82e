import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxHub

// MARK: - RepoIDTests

@Suite("Repository ids")
struct RepoIDTests {
    /// Ids parse to the kind and cache folder huggingface_hub uses.
    @Test func parsesAndNamesFolders() throws {
        let model = try RepoID(parsing: "google-t5/t5-small")
        #expect(model.kind == .model && model.id == "google-t5/t5-small")
        #expect(model.folderName == "models--google-t5--t5-small")
        let dataset = try RepoID(parsing: "datasets/knkarthick/dialogsum")
        #expect(dataset.kind == .dataset && dataset.id == "knkarthick/dialogsum")
        #expect(dataset.folderName == "datasets--knkarthick--dialogsum")
        #expect(dataset.description == "datasets/knkarthick/dialogsum")
        #expect(try RepoID(parsing: "gpt2").folderName == "models--gpt2")
        #expect(try RepoID(parsing: "spaces/org/app").folderName == "spaces--org--app")
        #expect(try RepoID(parsing: "models/org/m") == RepoID(kind: .model, id: "org/m"))
    }

    /// Ids that could break the cache layout or are not Hub ids are refused.
    @Test(arguments: ["", "a/b/c/d", "../x", "org/..", "a--b/c", "org/na me", "org/", "/name", "x/-a", "tables/o/n"])
    func refusesBadIDs(text: String) {
        #expect(throws: HubError.self) { try RepoID(parsing: text) }
    }
}

// MARK: - GlobPatternTests

@Suite("Glob patterns (fnmatch semantics)")
struct GlobPatternTests {
    /// `*` crosses `/` as in Python's fnmatch; sets, `?` and folder patterns work.
    @Test func matchesLikeFnmatch() {
        #expect(GlobPattern("*.json").matches("config.json"))
        #expect(GlobPattern("*.json").matches("onnx/config.json"))
        #expect(!GlobPattern("*.json").matches("config.jsonl"))
        #expect(GlobPattern("spiece.model").matches("spiece.model"))
        #expect(!GlobPattern("spiece.model").matches("xspiece.model"))
        #expect(GlobPattern("model-?????-of-*.safetensors").matches("model-00001-of-00002.safetensors"))
        #expect(GlobPattern("[a-c]*.txt").matches("b.txt") && !GlobPattern("[a-c]*.txt").matches("d.txt"))
        #expect(GlobPattern("[!a]*").matches("b") && !GlobPattern("[!a]*").matches("a"))
        #expect(GlobPattern("onnx/").matches("onnx/model.onnx") && !GlobPattern("onnx/").matches("model.onnx"))
        #expect(GlobPattern("*").matches("") && !GlobPattern("?").matches(""))
        #expect(GlobPattern("[unclosed").matches("[unclosed"))
        #expect(!GlobPattern("*.JSON").matches("a.json"))
    }

    /// The default model selection keeps config/tokenizer files and one weights format.
    @Test func defaultModelSelection() {
        let t5 = [
            ".gitattributes", "README.md", "config.json", "flax_model.msgpack", "generation_config.json",
            "model.safetensors", "onnx/decoder_model.onnx", "onnx/config.json", "pytorch_model.bin",
            "rust_model.ot", "spiece.model", "tf_model.h5", "tokenizer.json", "tokenizer_config.json",
        ]
        #expect(
            FileSelection.defaultModelFiles(in: t5) == [
                "config.json", "generation_config.json",
                "model.safetensors", "spiece.model", "tokenizer.json",
                "tokenizer_config.json",
            ])
        let electra = [
            ".gitattributes", "README.md", "config.json", "pytorch_model.bin", "special_tokens_map.json",
            "tokenizer_config.json", "vocab.txt", "training_args.bin",
        ]
        #expect(
            FileSelection.defaultModelFiles(in: electra) == [
                "config.json", "pytorch_model.bin",
                "special_tokens_map.json", "tokenizer_config.json",
                "vocab.txt",
            ])
        #expect(
            FileSelection.filter(t5, allow: ["*.json"], ignore: ["onnx/*"])
                == ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"])
    }
}

// MARK: - SHA256Tests

@Suite("SHA-256")
struct SHA256Tests {
    /// NIST FIPS 180-4 example vectors, plus a multi-chunk stream equal to one-shot hashing.
    @Test func knownVectors() throws {
        #expect(SHA256.hex(of: Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex(of: Data(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var streamed = SHA256()
        let data = bytes(10_007)
        for start in stride(from: 0, to: data.count, by: 333) {
            streamed.update(data: data.subdata(in: start..<min(start + 333, data.count)))
        }
        #expect(streamed.finalize().map { String(format: "%02x", $0) }.joined() == SHA256.hex(of: data))
    }
}

// MARK: - HubEnvironmentTests

@Suite("Environment and URLs")
struct HubEnvironmentTests {
    /// Defaults follow huggingface_hub: ~/.cache/huggingface/hub, huggingface.co, online, no token.
    @Test func defaults() {
        let settings = HubEnvironment(["HOME": "/home/u", "HF_TOKEN_PATH": "/nonexistent/token"])
        #expect(settings.endpoint.absoluteString == "https://huggingface.co")
        #expect(settings.cacheRoot.path == "/home/u/.cache/huggingface/hub")
        #expect(!settings.offline && settings.token == nil && !settings.disableSymlinks)
    }

    /// Each variable wins in the documented order; the token never shows in the description.
    @Test func precedence() throws {
        var env = ["HOME": "/home/u", "XDG_CACHE_HOME": "/xdg", "HF_TOKEN_PATH": "/nonexistent"]
        #expect(HubEnvironment(env).cacheRoot.path == "/xdg/huggingface/hub")
        env["HF_HOME"] = "~/hf"
        #expect(HubEnvironment(env).cacheRoot.path == "/home/u/hf/hub")
        env["HUGGINGFACE_HUB_CACHE"] = "/legacy"
        #expect(HubEnvironment(env).cacheRoot.path == "/legacy")
        env["HF_HUB_CACHE"] = "/new"
        #expect(HubEnvironment(env).cacheRoot.path == "/new")
        env["HF_ENDPOINT"] = "http://127.0.0.1:8080/"
        #expect(HubEnvironment(env).endpoint.absoluteString == "http://127.0.0.1:8080")
        env["TRANSFORMERS_OFFLINE"] = "1"
        #expect(HubEnvironment(env).offline)
        env["HF_HUB_OFFLINE"] = "yes"
        #expect(HubEnvironment(env).offline)
        env["HF_HUB_OFFLINE"] = "0"
        #expect(!HubEnvironment(env).offline)
        env["HUGGING_FACE_HUB_TOKEN"] = "hf_old"
        #expect(HubEnvironment(env).token == "hf_old")
        env["HF_TOKEN"] = " hf_new\n"
        let settings = HubEnvironment(env)
        #expect(settings.token == "hf_new")
        #expect(!settings.description.contains("hf_new"))
    }

    /// `$VAR` / `${VAR}` expand like `os.path.expandvars`, unknown names stay.
    @Test func expandsVariables() {
        let env = [
            "HOME": "/home/u", "SCRATCH": "/scratch", "HF_HOME": "${SCRATCH}/hf", "HF_HUB_CACHE": "$SCRATCH/hub-$USERX",
        ]
        #expect(HubEnvironment(env).home.path == "/scratch/hf")
        #expect(HubEnvironment(env).cacheRoot.path == "/scratch/hub-$USERX")
        #expect(HubEnvironment.expandVariables("a$", [:]) == "a$")
    }

    /// The token file under HF_HOME is read when no variable holds a token.
    @Test func tokenFile() throws {
        let home = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: home) }
        try Data("hf_from_file\r\n".utf8).write(to: home.appendingPathComponent("token"))
        let settings = HubEnvironment(["HOME": "/home/u", "HF_HOME": home.path])
        #expect(settings.token == "hf_from_file")
        #expect(HubClient.fromEnvironment(["HOME": "/home/u", "HF_HOME": home.path]).hasToken)
    }

    /// URLs are built as `hf_hub_url` builds them.
    @Test func urls() throws {
        let client = HubClient(
            endpoint: URL(string: "http://127.0.0.1:1/")!, cache: HubCache(root: URL(fileURLWithPath: "/tmp/x")))
        #expect(
            client.resolveURL(
                repo: try RepoID(parsing: "datasets/knkarthick/dialogsum"), path: "train.csv",
                revision: "main")?.absoluteString
                == "http://127.0.0.1:1/datasets/knkarthick/dialogsum/resolve/main/train.csv")
        #expect(
            client.resolveURL(repo: try RepoID(parsing: "org/m"), path: "a b/c+d.json", revision: "refs/pr/1")?
                .absoluteString == "http://127.0.0.1:1/org/m/resolve/refs%2Fpr%2F1/a%20b/c%2Bd.json")
        #expect(
            client.infoURL(repo: try RepoID(parsing: "org/m"), revision: "v1.0")?.absoluteString
                == "http://127.0.0.1:1/api/models/org/m/revision/v1.0")
        #expect(HubClient.normalizeEtag("W/\"abc\"") == "abc" && HubClient.normalizeEtag("\"abc\"") == "abc")
        #expect(
            HubClient.relativeRedirect(
                "/new/name/resolve/main/x", from: URL(string: "http://h:5/old/name/resolve/main/x")!)?
                .absoluteString == "http://h:5/new/name/resolve/main/x")
        #expect(HubClient.relativeRedirect("https://cdn/x", from: URL(string: "http://h:5/a")!) == nil)
        #expect(HubError.redact("https://cdn/x?X-Amz-Signature=abc") == "https://cdn/x")
    }
}
