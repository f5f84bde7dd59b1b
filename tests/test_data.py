import hashlib
import http.server
import threading
import warnings
from pathlib import Path

import pytest

from shared.settings import Settings
from shared.training.data import DataError, SyntheticDataWarning, download, load_raw, verify
from shared.training.features import RAW_COLUMNS
from shared.training.synthetic import synthetic_frame


@pytest.fixture
def http_file(tmp_path):
    """Serve tmp_path/www over HTTP on loopback; yields (base_url, folder)."""
    www = tmp_path / "www"
    www.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(www), **kw)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", www
    server.shutdown()


def test_cached_course_file_matches_the_published_checksum(settings):
    cache = settings.data_dir / "CreditScoring.csv"
    if not cache.exists():
        pytest.skip("no cached CreditScoring.csv (offline machine; see README 'Tests')")
    verify(cache, settings.data_sha256)


def test_download_verifies_and_caches(tmp_path, http_file):
    url, www = http_file
    (www / "c.csv").write_text("a,b\n1,2\n")
    digest = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    dest = tmp_path / "cache" / "CreditScoring.csv"
    download(f"{url}/c.csv", dest, digest)
    assert dest.read_text() == "a,b\n1,2\n"


def test_download_with_wrong_checksum_is_an_error_and_leaves_nothing(tmp_path, http_file):
    url, www = http_file
    (www / "c.csv").write_text("tampered\n")
    dest = tmp_path / "cache" / "CreditScoring.csv"
    with pytest.raises(DataError, match="sha256"):
        download(f"{url}/c.csv", dest, "0" * 64)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_corrupt_cache_is_refused_not_used(tmp_path):
    cache_dir = tmp_path / "data"
    cache_dir.mkdir()
    (cache_dir / "CreditScoring.csv").write_text("Status\n1\n")
    with pytest.raises(DataError, match="Refusing"):
        load_raw(Settings(data_dir=cache_dir))


def test_offline_without_cache_falls_back_to_labelled_synthetic(tmp_path):
    settings = Settings(data_dir=tmp_path / "empty", offline=True)
    with pytest.warns(SyntheticDataWarning, match="SYNTHETIC"):
        raw = load_raw(settings)
    assert raw.source == "synthetic"
    assert len(raw.frame) == 4455


def test_unreachable_url_falls_back_to_synthetic(tmp_path):
    settings = Settings(data_dir=tmp_path / "empty", data_url="http://127.0.0.1:9/nothing.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = load_raw(settings)
    assert raw.source == "synthetic"
    assert any(issubclass(w.category, SyntheticDataWarning) for w in caught)


def test_explicit_data_override_is_used_and_hashed(tmp_path):
    path = tmp_path / "mine.csv"
    synthetic_frame(rows=50).to_csv(path, index=False)
    raw = load_raw(Settings(data=path))
    assert raw.source == "override"
    assert raw.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(raw.frame) == 50


def test_missing_override_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_raw(Settings(data=Path(tmp_path / "nope.csv")))


def test_synthetic_is_deterministic_and_has_the_schema():
    a, b = synthetic_frame(), synthetic_frame()
    assert a.equals(b)
    assert tuple(a.columns) == RAW_COLUMNS
    default_rate = (a["Status"] == 2).mean()
    assert 0.15 < default_rate < 0.45
    assert (a["Income"] == 99_999_999).any()
    assert a["Age"].between(18, 68).all()
