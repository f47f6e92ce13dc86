import pytest

from conftest import write_release_folder, write_release_zip
from emopia_lightning.data.source import locate_emopia
from emopia_lightning.errors import DataNotFoundError


def test_workplace_copy_is_the_zip_with_split_beside_it(data_root):
    source = locate_emopia(data_root)
    assert source.is_zip and len(source.members) == 1078
    assert {"train.csv", "val.csv", "test.csv", "train_SL.csv"} <= set(source.split_csvs)
    assert source.read("Q1_0vLPYiPN7qY_0")[:4] == b"MThd"


def test_extracted_release_folder_is_found_from_its_parent(tmp_path, real_clips):
    write_release_folder(tmp_path / "EMOPIA_1.0", real_clips)
    source = locate_emopia(tmp_path)  # the folder one level down, as the release unzips
    assert not source.is_zip and set(source.members) == set(real_clips)
    assert source.read(next(iter(real_clips))) == next(iter(real_clips.values()))


def test_downloaded_zip_with_top_folder_and_macos_forks(tmp_path, real_clips):
    archive = write_release_zip(tmp_path / "EMOPIA_1.0.zip", real_clips)
    for root in (archive, tmp_path):
        source = locate_emopia(root)
        assert source.is_zip and set(source.members) == set(real_clips)  # no ._ resource forks


def test_fingerprint_changes_when_a_clip_changes(tmp_path, real_clips):
    folder = write_release_folder(tmp_path / "data", real_clips)
    before = locate_emopia(folder).fingerprint()
    assert locate_emopia(folder).fingerprint() == before
    (folder / "midis" / "Q1_extra_0.mid").write_bytes(next(iter(real_clips.values())))
    assert locate_emopia(folder).fingerprint() != before


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_missing_data_says_where_it_looked_and_how_to_get_it(tmp_path, make):
    root = tmp_path / "nowhere"
    if make == "empty":
        root.mkdir()
    with pytest.raises(DataNotFoundError) as error:
        locate_emopia(root)
    message = str(error.value)
    assert str(root) in message and "EMOPIA_ROOT" in message and "zenodo" in message
    assert "\n" not in message


def test_release_2_2_layout_with_clip_level_split_files(tmp_path, real_clips):
    """2.x ships split/{part}_clip.csv with a clip_name column of file names."""
    from emopia_lightning.data.labels import parse_clip_name
    from emopia_lightning.data.splits import make_split

    release = write_release_folder(tmp_path / "EMOPIA_2.2", real_clips)
    stems = sorted(real_clips)
    parts = {"train": stems[:6], "val": stems[6:9], "test": stems[9:]}
    (release / "split").mkdir()
    for part, members in parts.items():
        rows = "".join(f"{stem}.mid,{stem[:2]}\n" for stem in members)
        (release / "split" / f"{part}_clip.csv").write_text("clip_name,label\n" + rows)
    source = locate_emopia(tmp_path)
    labels = [parse_clip_name(s) for s in sorted(source.members)]
    split = make_split(labels, source.split_csvs, "official")
    assert {p: [labels[i].name for i in split.part(p)] for p in parts} == parts
